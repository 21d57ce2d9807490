import sys
from pathlib import Path

# catalogtree (here) builds on recalltree's logs (tests/recall/).
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "recall"))
