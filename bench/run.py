"""Run every benchmark in its own process and print their reports (`make bench`)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "ledger_post.py",
    "statement_export.py",
    "allocation_round.py",
    "verify.py",
    "pages.py",
    "api_read.py",
    "import_projects.py",
    "annual_report.py",
]


def main() -> int:
    failed = 0
    for name in BENCHMARKS:
        result = subprocess.run([sys.executable, str(HERE / name)], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
