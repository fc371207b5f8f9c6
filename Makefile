# Short names; dev.py does the work and needs nothing but Python 3.11.
.PHONY: run test lint format check

run:
	python3 dev.py run

test:
	python3 dev.py test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

check:
	.venv/bin/python manage.py check
	.venv/bin/python manage.py makemigrations --check --dry-run
