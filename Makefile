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
	.venv/bin/mypy src dashboard

bench:  ## every benchmark in bench/ (import, dashboard, exports, load test, scale curve, plans): one table
	.venv/bin/python bench/run_all.py

sample:  ## rebuild the sample workbooks in data/sample from src/socplan/sample.py
	.venv/bin/python scripts/make_sample.py
