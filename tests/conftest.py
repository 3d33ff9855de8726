import sys
from pathlib import Path

# Let the tests import the helpers beside them (oracle.py) and the package from src/ when not installed.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent / "src"))
