from __future__ import annotations

import sys

from citizen_desk.cli import main

sys.exit(main())
