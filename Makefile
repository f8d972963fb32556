# hostimg — the two commands the README opens with are `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# System libraries the package links, and the real tools tests check every format with.
APT_PACKAGES := pkg-config libarchive-dev libzstd-dev libssl-dev libkmod-dev \
	erofs-utils cryptsetup-bin gdisk fdisk dosfstools mtools kmod libarchive-tools \
	sbsigntool qemu-system-x86 qemu-utils ovmf systemd-boot-efi zstd xz-utils openssl python3-yaml binutils \
	systemd-container busybox-static diffoscope-minimal
HOSTIMG := .build/debug/hostimg

.PHONY: all deps build demo test e2e bench clean fuzz fuzz-build fuzz-ci deb install

all: build

# Installs only what is missing, so it is cheap to run every time.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:" $$missing; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

build: deps
	$(SWIFT) build

# The main job on the bundled example: lint the tree, make a development key (once), build
# qemu-dev's signed disk image and update bundle from Debian's packages, then check both the
# way a host would. The initrd gets the release build of hostimg-init: the debug one is 1.5 MB
# larger, which would make the initrd larger than initramfs-tools' (docs/boot.md).
INIT := .build/release/hostimg-init
# The agent goes into the image: the release build, as for the init.
AGENT := .build/release/hostimg-agent
demo: build
	$(SWIFT) build -c release --product hostimg-init
	$(SWIFT) build -c release --product hostimg-agent
	$(HOSTIMG) lint manifests/ kernels/ hardware/
	@[ -f out/keys/key.pem ] || $(HOSTIMG) keygen --out out/keys
	HOSTIMG_INIT=$(INIT) HOSTIMG_AGENT=$(AGENT) $(HOSTIMG) build manifests/qemu-dev.yaml -o out/qemu-dev --key out/keys/key.pem --cert out/keys/cert.pem
	$(HOSTIMG) verify out/qemu-dev/qemu-dev.img --cert out/keys/cert.pem
	$(HOSTIMG) verify out/qemu-dev/qemu-dev.bundle --cert out/keys/cert.pem

test: deps
	@command -v pyspdxtools >/dev/null || python3 -m pip install -q spdx-tools
	@python3 -c 'import securesystemslib.dsse' 2>/dev/null || python3 -m pip install -q in-toto
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# End-to-end runs against Debian's mirror (chroot into a built tree, QEMU boots of the image),
# then the example built twice and compared byte for byte (build --verify).
e2e: deps
	@command -v virt-fw-vars >/dev/null || python3 -m pip install -q virt-firmware
	@command -v pyspdxtools >/dev/null || python3 -m pip install -q spdx-tools
	$(SWIFT) build --build-tests
	HOSTIMG_NETWORK_TESTS=1 $(SWIFT) test --skip-build --filter 'EndToEndTests|RepositoryTests'
	$(SWIFT) build
	$(HOSTIMG) build --verify manifests/qemu-dev.yaml --locked

# hostimg as a Debian package, out/hostimg_VERSION_amd64.deb: the release products with the
# Swift runtime and Foundation linked statically (no Swift toolchain on the target), the init and
# the agent under /usr/lib/hostimg/, man pages from --help, bash completion; lintian must report
# no error. The static FoundationNetworking needs libcurl named on the link line; --as-needed
# keeps it out of the agent and the init, which must run on hosts without it. `make install PREFIX=/usr/local` puts the same files under PREFIX for a source build.
STATIC := $(SWIFT) build -c release --static-swift-stdlib -Xlinker --as-needed -Xlinker -lcurl --scratch-path .build-static
PREFIX ?= /usr/local
deb: deps
	@for p in help2man lintian dpkg-dev libcurl4-openssl-dev; do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || { $(SUDO) apt-get install -y -q $$p || exit 1; }; done
	$(STATIC) --product hostimg
	$(STATIC) --product hostimg-init
	$(STATIC) --product hostimg-agent
	scripts/make-deb.sh .build-static/release out
	lintian --fail-on error out/hostimg_*_amd64.deb

install:
	$(STATIC) --product hostimg
	$(STATIC) --product hostimg-init
	$(STATIC) --product hostimg-agent
	install -D -m 0755 .build-static/release/hostimg $(DESTDIR)$(PREFIX)/bin/hostimg
	install -D -m 0755 .build-static/release/hostimg-init $(DESTDIR)$(PREFIX)/lib/hostimg/hostimg-init
	install -D -m 0755 .build-static/release/hostimg-agent $(DESTDIR)$(PREFIX)/lib/hostimg/hostimg-agent

# Lint throughput (in-process and one process), the warm-cache rootfs stage against
# mmdebstrap for the same package set, the image stage against mkfs.erofs + veritysetup, the
# initrd (its size, the time to make it) and boot against initramfs-tools under QEMU, and the
# install phase of `hostimg switch --disk` against zstd | dd and RAUC (rauc install) writing
# the same root payload into the same partition (needs root and the network to Debian's mirror),
# and a VM-preserving switch's blackout for 64 MiB, 512 MiB and 2 GiB guests with their RAM kept
# in place beside the same guests with their RAM in the migration stream (the agent's code
# against the bare QEMU sequence; QEMU TCG, no kexec).
bench: deps
	@for p in mmdebstrap bc rauc squashfs-tools; do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || { $(SUDO) apt-get install -y -q $$p || exit 1; }; done
	$(SWIFT) build -c release --product hostimg
	$(SWIFT) build -c release --product hostimg-init
	$(SWIFT) build -c release --product hostimg-bench
	$(SWIFT) build -c release --product hostimg-vm-bench
	.build/release/hostimg-bench --hostimg .build/release/hostimg
	.build/release/hostimg-vm-bench
	scripts/bench-rootfs.sh manifests/qemu-dev.yaml
	scripts/bench-image.sh manifests/qemu-dev.yaml
	scripts/bench-boot.sh manifests/qemu-dev.yaml
	scripts/bench-install.sh manifests/qemu-dev.yaml

# Coverage-guided fuzzing of every reader of an artefact a host receives (libFuzzer, with
# AddressSanitizer; Sources/ReaderFuzzing): each reader runs FUZZ_SECONDS (5 minutes unless
# overridden), its corpus in $(FUZZ_WORK)/READER/corpus seeded from Tests/Fuzz/READER/seeds
# and the crashes kept in Tests/Fuzz/READER/crashes. The last cov/ft line and libFuzzer's
# final stats are printed per reader. A crash fails the target; its input is in
# $(FUZZ_WORK)/READER/crashes: copy it to Tests/Fuzz/READER/crashes (FuzzRegressionTests
# replays it), reproduce it with `.build/debug/fuzz-READER FILE`, fix the reader.
FUZZ_SECONDS ?= 300
FUZZ_READERS ?= gpt erofs verity verity-sig bundle pe fat
FUZZ_BUILD ?= .build-fuzz
FUZZ_WORK ?= .fuzz
FUZZ_FLAGS := -c release --scratch-path $(FUZZ_BUILD) -Xswiftc -sanitize=fuzzer,address -Xswiftc -DHOSTIMG_FUZZING

fuzz-build: deps
	@for r in $(FUZZ_READERS); do $(SWIFT) build $(FUZZ_FLAGS) --product fuzz-$$r || exit 1; done

fuzz: fuzz-build
	@for r in $(FUZZ_READERS); do \
		mkdir -p $(FUZZ_WORK)/$$r/corpus $(FUZZ_WORK)/$$r/crashes; \
		known=$$([ -d Tests/Fuzz/$$r/crashes ] && echo Tests/Fuzz/$$r/crashes); \
		echo "fuzz-$$r: $(FUZZ_SECONDS) s"; \
		SWIFT_BACKTRACE=enable=no HOSTIMG_FUZZ_CERT=Tests/Fuzz/certificate.pem \
			LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Fuzz/lsan.supp \
			$(FUZZ_BUILD)/release/fuzz-$$r $(FUZZ_WORK)/$$r/corpus Tests/Fuzz/$$r/seeds $$known \
			-max_total_time=$(FUZZ_SECONDS) -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_WORK)/$$r/crashes/ $(FUZZ_ARGS) > $(FUZZ_WORK)/$$r/log 2>&1; \
		status=$$?; \
		grep -E '^#[0-9]+' $(FUZZ_WORK)/$$r/log | grep 'cov:' | tail -1; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' $(FUZZ_WORK)/$$r/log; \
		echo "corpus: $$(ls $(FUZZ_WORK)/$$r/corpus | wc -l) files"; \
		if [ $$status -ne 0 ]; then \
			echo "fuzz-$$r FAILED (status $$status): $(FUZZ_WORK)/$$r/log, input in $(FUZZ_WORK)/$$r/crashes/"; exit 1; \
		fi; \
	done

# The brief run CI makes: every reader for 25 seconds from a fixed seed, so a run is
# repeatable (a crash it finds is found again by the same command).
fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=25 FUZZ_ARGS=-seed=1

clean:
	rm -rf .build
