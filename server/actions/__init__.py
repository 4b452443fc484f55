"""One function per change: state machine check, the change, an audit row, events."""
