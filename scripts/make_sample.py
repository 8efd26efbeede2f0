"""Rebuild the illustrative sample workbooks in data/sample from `socplan.sample`."""

from socplan.demo import write_sample_files

if __name__ == "__main__":
    for path in write_sample_files():
        print(f"wrote {path}")
