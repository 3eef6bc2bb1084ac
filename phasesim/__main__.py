import sys

from phasesim.cli import main

sys.exit(main())
