//! The sans-IO VRRP state machine.
