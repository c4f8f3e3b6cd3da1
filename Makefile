# SPDX-License-Identifier: GPL-2.0
# The harness entry point.  Everything it builds lives under build/.
#
#   make deps      install the Debian packages the harness uses (root)
#   make kernel    copy our files into build/linux and build the test kernel
#   make run       build and boot it under virtme-ng, showing what the guest did
#   make test      everything: builds, series checks, KUnit, kselftests
#   make series    regenerate series/ from the tree
#   make clean     remove build/ (the ccache in ~/.cache stays)

H := tools/harness

.PHONY: all deps tree kernel kernel-m kselftests tools run test series checkpatch clean

all: kernel

deps:
	bash $(H)/deps.sh

tree: deps
	bash $(H)/tree.sh

kernel: tree
	bash $(H)/kernel.sh

kernel-m: tree
	bash $(H)/kernel.sh m

kselftests: kernel
	bash $(H)/kselftest.sh

# quic_h3 and quic_bulk, for the guest's interop cases
tools: kernel
	$(MAKE) -C tools/quic OUTPUT=$(CURDIR)/build/quic-tools/ \
		KHDR_INCLUDES="-isystem $(CURDIR)/build/obj/usr/include"

# Boot the kernel, run the QUIC kselftests and print what the guest did.
run: kselftests tools
	bash $(H)/vm.sh
	@python3 $(H)/results.py build/guest-out | \
		awk '{ print ($$1 == 0 ? "PASS: " : "FAIL: ") $$2 }'
	@grep -h -i quic build/guest-out/dmesg.txt | head -20

test:
	bash $(H)/test.sh

series: tree
	python3 $(H)/series.py generate series

checkpatch:
	python3 $(H)/series.py checkpatch

clean:
	rm -rf build
