//! The `prometheus-exporter` service's exposition (text format 0.0.4).
