"""Training loop pieces: compile utilities, data adapter, input checks, the Trainer."""
