"""The arq worker processes: their settings and thin job functions that call into server code."""
