# hostimg — the two commands the README opens with are `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# System libraries the package links, and the real tools tests check every format with.
APT_PACKAGES := pkg-config libarchive-dev libzstd-dev libssl-dev libkmod-dev \
	erofs-utils cryptsetup-bin gdisk fdisk dosfstools mtools kmod libarchive-tools \
	sbsigntool qemu-system-x86 ovmf systemd-boot-efi zstd xz-utils openssl python3-yaml
HOSTIMG := .build/debug/hostimg

.PHONY: all deps build demo test bench clean

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

# The main job on the bundled examples. Until `hostimg build` exists end to end (issues 3-5),
# the demo lints every manifest, kernel file and hardware profile in the tree.
demo: build
	$(HOSTIMG) lint manifests/ kernels/ hardware/
	$(HOSTIMG) lint --format json manifests/hv-host.yaml

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product hostimg
	$(SWIFT) build -c release --product hostimg-bench
	.build/release/hostimg-bench --hostimg .build/release/hostimg

clean:
	rm -rf .build
