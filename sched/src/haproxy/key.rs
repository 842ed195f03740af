//! Turning a request into the hash HAProxy balances on (`src/backend.c`).
