"""The Teams app package: manifest template, English localisation, icons and the build of ``tavla.zip``."""
