"""What differs between the Home Assistant releases this integration supports.

Home Assistant 2026.6 validates with voluptuous; 2026.10 replaced it with probatio and
serves probatio under the name `voluptuous` (`probatio.compat.install_as_voluptuous`).
Importing `voluptuous` therefore works on both; type checking sees probatio, whose
types Home Assistant's 2026.10 APIs declare.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

__all__ = ["vol"]
