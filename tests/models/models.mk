# SPIN model of the VMBus ring signalling protocol (tests/models/README.md):
# the model must pass and each seeded bug must be caught. Included by the
# top-level Makefile; runs in $(HOST_B)/models/ (spin -a writes pan.c to
# the current folder).
.PHONY: model-check
model-check: | $(DEPS_STAMP)
	$(Q)HOST_CC="$(HOST_CC)" tests/models/run.sh $(HOST_B)/models
