.PHONY: demo test setup lint bench

DEMO_SPEED ?= 60

demo: setup          ## start a moving demo clinic at http://localhost:5000 (CLINIC_PORT, DEMO_SPEED)
	.venv/bin/clinic demo run --live --speed $(DEMO_SPEED)

test:                ## install everything, start MariaDB and Redis, run the whole suite on both databases
	scripts/test.sh

setup:
	scripts/setup.sh

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy
	.venv/bin/lint-imports && node_modules/.bin/eslint .
