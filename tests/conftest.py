import os
import sys
from pathlib import Path

# Fixed BLAS threads: OpenBLAS's rounding depends on the thread count, and tests compare runs bit for bit
# (the adaptive default of threads.py would switch with the machine's load; its own tests build a Governor).
os.environ.setdefault("CHAINRULE_ADAPT_THREADS", "0")

# Let the tests import the helpers beside them (oracle.py) and the package from src/ when not installed.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent / "src"))
