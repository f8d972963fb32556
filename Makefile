# hostimg — the two commands the README opens with are `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# System libraries the package links, and the real tools tests check every format with.
APT_PACKAGES := pkg-config libarchive-dev libzstd-dev libssl-dev libkmod-dev \
	erofs-utils cryptsetup-bin gdisk fdisk dosfstools mtools kmod libarchive-tools \
	sbsigntool qemu-system-x86 ovmf systemd-boot-efi zstd xz-utils openssl python3-yaml
HOSTIMG := .build/debug/hostimg

.PHONY: all deps build demo test e2e bench clean

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
# way a host would.
demo: build
	$(HOSTIMG) lint manifests/ kernels/ hardware/
	@[ -f out/keys/key.pem ] || $(HOSTIMG) keygen --out out/keys
	$(HOSTIMG) build manifests/qemu-dev.yaml -o out/qemu-dev --key out/keys/key.pem --cert out/keys/cert.pem
	$(HOSTIMG) verify out/qemu-dev/qemu-dev.img --cert out/keys/cert.pem
	$(HOSTIMG) verify out/qemu-dev/qemu-dev.bundle --cert out/keys/cert.pem

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# End-to-end runs against Debian's mirror (chroot into a built tree, QEMU boots of the image).
e2e: deps
	$(SWIFT) build --build-tests
	HOSTIMG_NETWORK_TESTS=1 $(SWIFT) test --skip-build --filter 'EndToEndTests|RepositoryTests'

# Lint throughput (in-process and one process), the warm-cache rootfs stage against
# mmdebstrap for the same package set, the image stage against mkfs.erofs + veritysetup, and
# the initrd and boot against initramfs-tools under QEMU (needs root and the network to Debian's mirror).
bench: deps
	@for p in mmdebstrap bc; do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || { $(SUDO) apt-get install -y -q $$p || exit 1; }; done
	$(SWIFT) build -c release --product hostimg
	$(SWIFT) build -c release --product hostimg-init
	$(SWIFT) build -c release --product hostimg-bench
	.build/release/hostimg-bench --hostimg .build/release/hostimg
	scripts/bench-rootfs.sh manifests/qemu-dev.yaml
	scripts/bench-image.sh manifests/qemu-dev.yaml
	scripts/bench-boot.sh manifests/qemu-dev.yaml

clean:
	rm -rf .build
