.PHONY: demo test setup lint bench

demo: setup          ## start the demo clinic at http://localhost:5000
	.venv/bin/clinic demo run

test:                ## install everything, start MariaDB and Redis, run the whole suite on both databases
	scripts/test.sh

setup:
	scripts/setup.sh

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy
