"""The clinic-queue server, in the layers docs/architecture.md draws."""
