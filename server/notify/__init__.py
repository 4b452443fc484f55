"""Patient messages: the outbox written in the action's transaction, its channels and delivery."""
