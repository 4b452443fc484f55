"""Weekly rotas, pure: which sessions a week's templates call for (no I/O)."""
