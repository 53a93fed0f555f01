"""`difusor status`: the night at a glance, per difusor host of an inventory. `snapshot` fetches
each host's figures over SSH (one host-side command, `difusor metrics show`), `view` derives
what the console shows, `render` prints it (text or JSON), `cli` is the command."""
