"""Remote control of big screens: their presence, the commands, the Screens page."""
