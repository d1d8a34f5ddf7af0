"""Where each part of a run lives, and the network between them.

spec.py reads a topology file (hosts, their roles, how to reach them; hosts.toml is the default
four-host one) and names the network profiles; netns.py builds a topology on this machine out of
network namespaces, with a profile's delay on every link, measured by rtt.py before a run uses
it. docs/topology.md is the user's guide, real machines included."""

from __future__ import annotations

from .netns import Network
from .rtt import LinkRtt
from .spec import (
    DEFAULT_FILE,
    PROFILES,
    ROLES,
    Host,
    Profile,
    Reach,
    Topology,
    TopologyError,
    TopologyFileError,
    load,
    parse,
    profile,
)

__all__ = ["DEFAULT_FILE", "PROFILES", "ROLES", "Host", "LinkRtt", "Network", "Profile", "Reach",
           "Topology", "TopologyError", "TopologyFileError", "load", "parse", "profile"]
