.PHONY: run test setup lint bench sample

run:  ## load the sample plan (when the database is empty) and serve the dashboard
	bash scripts/run.sh

test:  ## every check and test
	bash scripts/test.sh

setup:  ## install what is missing (Debian packages, .venv, the project)
	bash scripts/setup.sh

lint:
	.venv/bin/ruff check src dashboard tests bench scripts
	.venv/bin/ruff format --check src dashboard tests bench scripts
	.venv/bin/mypy src

bench:  ## benchmarks: import (10,000 milestones), dashboard callbacks (10,000 x 20 periods)
	.venv/bin/python bench/bench_import.py
	.venv/bin/python bench/bench_dashboard.py

sample:  ## rebuild the sample workbooks in data/sample from src/socplan/sample.py
	.venv/bin/python scripts/make_sample.py
