"""`make bench`: synthetic Label Studio exports (`synth`) and the timed stages (`python -m toolkit.bench`)."""
