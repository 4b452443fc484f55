"""Read models: snapshots of queues, the desk's day, a visit, the dashboard and outcome metrics."""
