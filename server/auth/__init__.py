"""Who is asking and what they may do: roles, permissions, passwords, tokens and signed links."""
