"""Background jobs by name: the registry both job runners run (arq workers, in-process).

Each job takes a context (`ctx["services"]` is the process's Services; see server/runtime.py
for the rest) and plain arguments, so the same function runs under an arq worker or in the
server process when embedded. The server owns this registry; `workers/` only imports it.
"""
