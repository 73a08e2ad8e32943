# TTQ for Darknet: obtains pjreddie's Darknet as Debian's source package, applies the series in
# patches/series, adds our src/ files, and builds darknet, libdarknet.so and libdarknet.a.
# `make help` prints the targets below.
#
#:  make                        CPU build (GPU=0), ./darknet at the top level
#:  make test [T="name ..."]    CPU test suite, or only the named tests; ends with "N passed, M failed"
#:  make test SANITIZE=1        the same suite under AddressSanitizer + UBSan
#:  make check                  what CI runs: the -Ofast build and the sanitizer build (+ the GPU build where nvcc is)
#:  make test-gpu               both GPU builds (cuDNN and not) and their tests, on a machine with a GPU
#:  make bench                  training-step time of ResNet-20, [ternary] vs [convolutional]
#:  make bench-infer            inference: the integer ternary path vs float, OpenCV, PyTorch FP32/int8, ONNX Runtime
#:  make demo / demo-det        the main job (classifier) / a TTQ detector, on Fashion-MNIST
#:  make GPU=1 CUDNN=1 [ARCH=]  passed through to Darknet's own Makefile
#:  make clean / distclean      remove the builds / also the downloaded source
#:  DARKNET_SRC=/path make      use an upstream checkout (commit 61c9d02e) instead of apt
#:  CC=... CXX=...              the compilers used for everything, Darknet included

DARKNET_VERSION := 0.0.0+git20180914.61c9d02e-2
DARKNET_ORIG    := darknet_0.0.0+git20180914.61c9d02e.orig.tar.xz
DARKNET_SHA256  := ec536ae11853846aab96183d8ec18730a46cce71f7d935768d235029329f9e93

# the compilers for everything built here, Darknet included (make CC=clang ...); make's built-in
# default (cc, g++) becomes gcc, g++
ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin CXX),default)
CXX := g++
endif

GPU      ?= 0
CUDNN    ?= 0
OPENMP   ?= 1
OPENBLAS ?= $(shell pkg-config --exists openblas 2>/dev/null && echo 1 || echo 0)
SANITIZE ?= 0
DARKNET_SRC ?=

ifeq ($(SANITIZE),1)
VARIANT  := asan
SAN_CC   := $(CC) -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SUBMAKE_VARS := CC="$(SAN_CC)" OPTS="-O1 -g"
TEST_CC  := $(SAN_CC) -O1 -g
else ifeq ($(GPU),1)
VARIANT  := gpu$(if $(filter 1,$(CUDNN)),-cudnn)
SUBMAKE_VARS := CC="$(CC)"
TEST_CC  := $(CC) -O2 -g
else
VARIANT  := cpu
SUBMAKE_VARS := CC="$(CC)"
TEST_CC  := $(CC) -O2 -g
endif
ifneq ($(DARKNET_SRC),)
VARIANT := $(VARIANT)-local
endif

# Debian's libstb (stb_image 2.27) for Darknet's image loading where it is installed (patch 0104);
# Darknet's bundled 2.19 otherwise (a bare GPU box).
SYSTEM_STB ?= $(if $(wildcard /usr/include/stb/stb_image.h),$(shell pkg-config --exists stb 2>/dev/null && echo 1 || echo 0),0)
# The ONNX export (src/onnx/, `darknet ternary onnx`) where Debian's protobuf-c (protobuf-c-compiler,
# libprotobuf-c-dev) and onnx.proto (libonnx-dev) are installed; without them the command says so.
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
ONNX ?= $(if $(wildcard $(ONNX_PROTO)),$(shell command -v protoc-c >/dev/null 2>&1 && pkg-config --exists libprotobuf-c 2>/dev/null && echo 1 || echo 0),0)
# our objects, added to Darknet's OBJ list through the hook of patch 0101 (EXTRA_OBJ, EXTRA_GPU_OBJ);
# the rooms under src/ (src/onnx/) are copied into Darknet's src/ beside the others
ROOMS         := onnx int_graph
ROOM_SRC      := $(foreach r,$(ROOMS),$(wildcard src/$(r)/*.c src/$(r)/*.h))
EXTRA_OBJ     := $(patsubst src/%.c,%.o,$(wildcard src/*.c)) $(notdir $(patsubst %.c,%.o,$(filter %.c,$(ROOM_SRC))))
EXTRA_GPU_OBJ := $(patsubst src/%.cu,%.o,$(wildcard src/*.cu))
ifeq ($(ONNX),1)
EXTRA_OBJ     += onnx.pb-c.o
ONNX_CFLAGS   := -DTTQ_ONNX
ONNX_LIBS     := -lprotobuf-c
endif
SUBMAKE_VARS += GPU=$(GPU) CUDNN=$(CUDNN) OPENMP=$(OPENMP) OPENBLAS=$(OPENBLAS) SYSTEM_STB=$(SYSTEM_STB) \
                EXTRA_OBJ="$(EXTRA_OBJ)" EXTRA_GPU_OBJ="$(EXTRA_GPU_OBJ)" EXTRA_CFLAGS="$(ONNX_CFLAGS)" \
                EXTRA_LDFLAGS="$(ONNX_LIBS)"
ifneq ($(ARCH),)
SUBMAKE_VARS += ARCH="$(ARCH)"
endif

ifeq ($(OPENBLAS),1)
LINK_LIBS := -lopenblas
endif
ifeq ($(OPENMP),1)
LINK_LIBS += -fopenmp
endif
ifeq ($(SYSTEM_STB),1)
LINK_LIBS += -lstb
endif
LINK_LIBS += $(ONNX_LIBS)

BUILD   := build
DL      := $(BUILD)/dl
APTDIR  := $(BUILD)/apt
VB      := $(BUILD)/$(VARIANT)
TREE    := $(VB)/darknet
STAMP   := $(VB)/.patched
# the series in patches/series order (comments and blank lines skipped)
PATCHES := $(addprefix patches/,$(shell sed -e 's/\#.*//' patches/series))
OUR_SRC := $(wildcard src/*.c src/*.h src/*.cu src/*.cuh)
TREE_SRC := $(patsubst src/%,$(TREE)/src/%,$(OUR_SRC)) $(addprefix $(TREE)/src/,$(notdir $(ROOM_SRC))) \
            $(if $(filter 1,$(ONNX)),$(TREE)/src/onnx.pb-c.c)

APT_OPTS := -o Dir::Etc::SourceList=/dev/null \
            -o Dir::Etc::SourceParts=$(CURDIR)/$(APTDIR)/sources.list.d \
            -o Dir::State::Lists=$(CURDIR)/$(APTDIR)/lists \
            -o Dir::Cache=$(CURDIR)/$(APTDIR)/cache \
            -o APT::Sandbox::User=root -o Debug::NoLocking=1

.PHONY: help all darknet test test-programs test-gpu gpu-test-programs check bench bench-infer demo demo-det clean distclean fetch
.DELETE_ON_ERROR:

all: darknet

help:
	@sed -n 's/^#:  //p' $(firstword $(MAKEFILE_LIST))

# --- 1. Darknet's source, from Debian, checked -------------------------------------------------
fetch: $(DL)/$(DARKNET_ORIG)

$(DL)/$(DARKNET_ORIG):
	@mkdir -p $(DL) $(APTDIR)/lists/partial $(APTDIR)/cache/archives/partial $(APTDIR)/sources.list.d
	@# deb-src entries derived from the system's own apt sources; /etc/apt is never edited
	@rm -f $(APTDIR)/sources.list.d/*
	@for f in /etc/apt/sources.list.d/*.sources; do [ -f "$$f" ] || continue; \
	  sed 's/^Types:.*/Types: deb-src/' "$$f" > $(APTDIR)/sources.list.d/$$(basename "$$f"); done
	@for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$$f" ] || continue; \
	  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$$f" > $(APTDIR)/sources.list.d/$$(basename "$$f").list; done
	@if ! ls $(APTDIR)/sources.list.d/* >/dev/null 2>&1; then \
	  echo "error: no apt sources found in /etc/apt to derive a deb-src entry from;" \
	       "set DARKNET_SRC=/path/to/darknet (pjreddie commit 61c9d02e) instead" >&2; exit 1; fi
	@echo "fetching Debian source package darknet $(DARKNET_VERSION) with apt-get source"
	@apt-get -q $(APT_OPTS) update >$(APTDIR)/update.log 2>&1 || { cat $(APTDIR)/update.log >&2; \
	  echo "error: 'apt-get update' for deb-src failed (log: $(APTDIR)/update.log); check the network" \
	       "or set DARKNET_SRC=/path/to/darknet" >&2; exit 1; }
	@cd $(DL) && apt-get -q $(APT_OPTS) source --download-only darknet=$(DARKNET_VERSION) \
	  >../apt/source.log 2>&1 || { cat ../apt/source.log >&2; \
	  echo "error: apt-get source darknet=$(DARKNET_VERSION) failed (log: $(APTDIR)/source.log);" \
	       "check that Debian's source lists are reachable, or set DARKNET_SRC=/path/to/darknet" >&2; exit 1; }
	@echo "$(DARKNET_SHA256)  $(DL)/$(DARKNET_ORIG)" | sha256sum -c --quiet - || { \
	  mv -f $(DL)/$(DARKNET_ORIG) $(DL)/$(DARKNET_ORIG).bad; \
	  echo "error: sha256 of $(DARKNET_ORIG) does not match $(DARKNET_SHA256);" \
	       "moved it to $(DL)/$(DARKNET_ORIG).bad; delete it and run make again" >&2; exit 1; }

# --- 2. Unpacked, patched tree (built in a temporary folder, moved into place when complete) ----
ifeq ($(DARKNET_SRC),)
TREE_ORIGIN := $(DL)/$(DARKNET_ORIG)
else
TREE_ORIGIN := $(DARKNET_SRC)/include/darknet.h
endif

# The configuration a variant was built with, recorded in $(VB)/.config when its tree is made: a
# change of compiler or of an option that Darknet's own Makefile does not track (OpenBLAS, Debian's
# stb_image, OpenMP, GPU, cuDNN, ARCH) makes the tree anew, so that `make OPENBLAS=0 SYSTEM_STB=0`
# then `make` (or installing libopenblas-dev after a first build) builds what the flags say.
BUILD_CONFIG := CC=$(CC) GPU=$(GPU) CUDNN=$(CUDNN) OPENMP=$(OPENMP) OPENBLAS=$(OPENBLAS) SYSTEM_STB=$(SYSTEM_STB) ARCH=$(ARCH) ONNX=$(ONNX)
CONFIG_FILE  := $(VB)/.config
ifneq ($(strip $(shell cat $(CONFIG_FILE) 2>/dev/null)),$(strip $(BUILD_CONFIG)))
$(STAMP): config-changed
.PHONY: config-changed
config-changed:
	@[ ! -f $(CONFIG_FILE) ] || echo "build configuration of $(VB) changed: was '$$(cat $(CONFIG_FILE))', now '$(BUILD_CONFIG)'; building it anew"
endif

$(STAMP): $(TREE_ORIGIN) $(PATCHES) patches/series
	@rm -rf $(TREE) $(TREE).tmp $(STAMP) && mkdir -p $(TREE).tmp
ifeq ($(DARKNET_SRC),)
	@echo "$(DARKNET_SHA256)  $(DL)/$(DARKNET_ORIG)" | sha256sum -c --quiet - >/dev/null 2>&1 || { \
	  rm -rf $(TREE).tmp; \
	  echo "error: sha256 of $(DL)/$(DARKNET_ORIG) does not match $(DARKNET_SHA256);" \
	       "delete it and run make again to fetch it anew" >&2; exit 1; }
	@tar -xf $(DL)/$(DARKNET_ORIG) -C $(TREE).tmp --strip-components=1
else
	@[ -f "$(DARKNET_SRC)/src/parser.c" ] || { echo "error: DARKNET_SRC=$(DARKNET_SRC) is not a Darknet tree" >&2; exit 1; }
	@tar -C "$(DARKNET_SRC)" --exclude=.git -cf - . | tar -C $(TREE).tmp -xf -
endif
	@for p in patches/[0-9][0-9][0-9][0-9]-*.patch; do case " $(PATCHES) " in *" $$p "*) ;; *) \
	  echo "error: $$p is not listed in patches/series; list it there (or delete it)" >&2; rm -rf $(TREE).tmp; exit 1;; esac; done
	@for p in $(PATCHES); do [ -f "$$p" ] || { echo "error: patches/series lists $$p, which does not exist" >&2; \
	  rm -rf $(TREE).tmp; exit 1; }; done
	@for p in $(PATCHES); do \
	  if command -v patch >/dev/null 2>&1; then \
	    patch -d $(TREE).tmp -p1 --batch --forward --quiet -r - < $$p >$(VB)/patch.log 2>&1; \
	  else git apply -p1 --directory=$(TREE).tmp < $$p >$(VB)/patch.log 2>&1; fi || { \
	    cat $(VB)/patch.log >&2; \
	    echo "error: $$p does not apply to the Darknet tree (expected pjreddie commit 61c9d02e," \
	         "Debian $(DARKNET_VERSION)); nothing was built" >&2; rm -rf $(TREE).tmp; exit 1; }; \
	done
	@mv $(TREE).tmp $(TREE) && echo '$(BUILD_CONFIG)' >$(CONFIG_FILE) && touch $(STAMP)
	@echo "Darknet tree ready in $(TREE) ($(words $(PATCHES)) patches applied)"

$(TREE)/src/%: src/% $(STAMP)
	@cp $< $@
$(TREE)/src/%: src/onnx/% $(STAMP)
	@cp $< $@
$(TREE)/src/%: src/int_graph/% $(STAMP)
	@cp $< $@
# the ONNX messages in C, generated from Debian's onnx.proto (never committed)
$(TREE)/src/onnx.pb-c.c: $(ONNX_PROTO) $(STAMP)
	@protoc-c --c_out=$(TREE)/src -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

# Darknet's Makefile knows nothing of our .cuh: a fresh copy of the .cu makes it recompile
$(TREE)/src/ternary_kernels.cu: src/ternary_kernels.cuh

# --- 3. Build ----------------------------------------------------------------------------------
# ./darknet at the top level is the build a plain `make` (or `make GPU=1 CUDNN=1`) asked for; the
# variants that check, test-gpu and the sanitizer build make beside it (TOPLEVEL=0) leave it alone,
# so that `make check` on a machine with nvcc and no GPU does not put a GPU binary there
TOPLEVEL ?= $(if $(filter 1,$(SANITIZE)),0,1)
darknet: $(STAMP) $(TREE_SRC)
	@$(MAKE) --no-print-directory -C $(TREE) $(SUBMAKE_VARS)
ifeq ($(TOPLEVEL),1)
	@cmp -s $(TREE)/darknet darknet || { cp $(TREE)/darknet darknet.tmp && mv darknet.tmp darknet; }
endif

# --- 4. Tests and benchmarks -------------------------------------------------------------------
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(patsubst tests/%.c,$(VB)/tests/%,$(TEST_SRC))
TEST_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-maybe-uninitialized -I$(TREE)/include -I$(TREE)/src -Itests

$(VB)/tests/%: tests/%.c tests/testutil.h tests/netrand.h $(TREE)/libdarknet.a
	@mkdir -p $(VB)/tests
	@$(TEST_CC) $(TEST_CFLAGS) $< -o $@ $(TREE)/libdarknet.a $(LINK_LIBS) -lm -pthread

# an empty recipe: make then looks at the library's time again after the sub-make rebuilt it, so that
# every test program and tool linked with it is relinked in the same run
$(TREE)/libdarknet.a: darknet
	@:

# the GPU kernels' device code, run on the CPU under an emulation of CUDA's threads and blocks
$(VB)/tests/test_kernels_emu: tests/cuda_emu.h $(TREE)/src/ternary_kernels.cuh

$(VB)/tools/genimages: tests/genimages.c
	@mkdir -p $(VB)/tools
	@$(TEST_CC) -Wall -Wextra $< -o $@

$(VB)/tools/cfgmutate: tests/cfgmutate.c
	@mkdir -p $(VB)/tools
	@$(TEST_CC) -Wall -Wextra $< -o $@

$(VB)/tools/weightsmutate: tests/weightsmutate.c
	@mkdir -p $(VB)/tools
	@$(TEST_CC) -Wall -Wextra $< -o $@

# The converter uses Debian's stb_image_write and zlib; where they are missing (a bare GPU box),
# Darknet's bundled stb_image_write (in libdarknet.a) and plain, uncompressed idx files.
HAVE_STB  := $(wildcard /usr/include/stb/stb_image_write.h)
HAVE_ZLIB := $(wildcard /usr/include/zlib.h)
CUDA_LIBS := -L/usr/local/cuda/lib64 -lcudart -lcublas -lcurand $(if $(filter 1,$(CUDNN)),-lcudnn) -lstdc++
CONVERT_FLAGS := $(if $(HAVE_STB),,-DTTQ_DARKNET_STB -I$(TREE)/src) $(if $(HAVE_ZLIB),,-DTTQ_NO_ZLIB)
CONVERT_LIBS := $(if $(HAVE_STB),-lstb,$(TREE)/libdarknet.a $(LINK_LIBS) $(if $(filter 1,$(GPU)),$(CUDA_LIBS)) -lm -pthread) \
                $(if $(HAVE_ZLIB),-lz)
$(VB)/tools/convert: data/convert.c $(if $(HAVE_STB),,$(TREE)/libdarknet.a)
	@mkdir -p $(VB)/tools
	@$(TEST_CC) -Wall -Wextra $(CONVERT_FLAGS) $< -o $@ $(CONVERT_LIBS)

# netout (tests/netout.c): a network's outputs on a fixed input, for comparing implementations
$(VB)/tools/netout: tests/netout.c tests/netrand.h $(TREE)/libdarknet.a
	@mkdir -p $(VB)/tools
	@$(TEST_CC) $(TEST_CFLAGS) $< -o $@ $(TREE)/libdarknet.a $(LINK_LIBS) -lm -pthread

# Stock Darknet: Debian's source (the same sha256-checked tarball) built without our patches, to
# check that what `darknet ternary fold` writes runs on it (tests/t_fold.sh). CPU, no OpenMP.
STOCK := $(BUILD)/stock$(if $(DARKNET_SRC),-local)
$(STOCK)/darknet/libdarknet.a: $(TREE_ORIGIN)
	@rm -rf $(STOCK)/darknet $(STOCK)/darknet.tmp && mkdir -p $(STOCK)/darknet.tmp
ifeq ($(DARKNET_SRC),)
	@echo "$(DARKNET_SHA256)  $(DL)/$(DARKNET_ORIG)" | sha256sum -c --quiet - >/dev/null 2>&1 || { \
	  echo "error: sha256 of $(DL)/$(DARKNET_ORIG) does not match $(DARKNET_SHA256)" >&2; exit 1; }
	@tar -xf $(DL)/$(DARKNET_ORIG) -C $(STOCK)/darknet.tmp --strip-components=1
else
	@tar -C "$(DARKNET_SRC)" --exclude=.git -cf - . | tar -C $(STOCK)/darknet.tmp -xf -
endif
	@echo "building stock Darknet (no patches) in $(STOCK)/darknet"
	@$(MAKE) --no-print-directory -C $(STOCK)/darknet.tmp CC="$(CC)" GPU=0 CUDNN=0 OPENCV=0 OPENMP=0 DEBUG=0 \
	  >$(STOCK)/build.log 2>&1 || { tail -n 20 $(STOCK)/build.log >&2; \
	  echo "error: stock Darknet did not build (log: $(STOCK)/build.log)" >&2; exit 1; }
	@mv $(STOCK)/darknet.tmp $(STOCK)/darknet

$(STOCK)/tools/netout: tests/netout.c tests/netrand.h $(STOCK)/darknet/libdarknet.a
	@mkdir -p $(@D)
	@$(CC) -O2 -Wall -Wextra -DSTOCK_DARKNET -I$(STOCK)/darknet/include $< -o $@ $(STOCK)/darknet/libdarknet.a -lm -pthread

# OpenCV's DNN module reading the folded pair (tests/t_fold_opencv.sh), where Debian's
# libopencv-dnn-dev and a C++ compiler are installed
HAVE_OPENCV := $(if $(wildcard /usr/include/opencv4/opencv2/dnn.hpp),$(shell command -v $(CXX) >/dev/null 2>&1 && echo 1))
$(STOCK)/tools/netout_opencv: tests/netout_opencv.cpp tests/cfg_net_shape.hpp
	@mkdir -p $(@D)
	@$(CXX) -O2 -Wall $(if $(wildcard /usr/include/stb/stb_image.h),-DNETOUT_STB) -I/usr/include/opencv4 $< -o $@ \
	  -lopencv_dnn -lopencv_core $(if $(wildcard /usr/include/stb/stb_image.h),-lstb)

test-programs: darknet $(TEST_BIN) $(VB)/tools/genimages $(VB)/tools/convert $(VB)/tools/cfgmutate $(VB)/tools/weightsmutate \
               $(VB)/tools/netout $(STOCK)/tools/netout $(if $(HAVE_OPENCV),$(STOCK)/tools/netout_opencv)

# GPU tests: [ternary] on the GPU against the CPU path, a GPU training run, GPU weights on the
# CPU, and -nogpu. On a machine without a GPU the GPU test reports "skipped".
GPU_VB := $(BUILD)/gpu$(if $(filter 1,$(CUDNN)),-cudnn)$(if $(DARKNET_SRC),-local)
HAVE_NVCC := $(shell command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ] && echo 1)
$(GPU_VB)/tests/test_gpu_ternary: tests/gpu/test_gpu_ternary.c tests/testutil.h $(GPU_VB)/darknet/libdarknet.a
	@mkdir -p $(@D)
	@$(CC) -O2 -g $(TEST_CFLAGS:$(TREE)%=$(GPU_VB)/darknet%) -DGPU $(if $(filter 1,$(CUDNN)),-DCUDNN) -I/usr/local/cuda/include $< -o $@ \
	  $(GPU_VB)/darknet/libdarknet.a $(LINK_LIBS) $(CUDA_LIBS) -lm -pthread

gpu-test-programs:
	@$(MAKE) --no-print-directory darknet GPU=1 CUDNN=$(CUDNN) TOPLEVEL=0
	@$(MAKE) --no-print-directory $(GPU_VB)/tests/test_gpu_ternary $(GPU_VB)/tools/genimages GPU=1 CUDNN=$(CUDNN) TOPLEVEL=0

# both GPU builds: with cuDNN and with Darknet's own im2col + cuBLAS convolutions
test-gpu:
	@$(MAKE) --no-print-directory gpu-test-programs GPU=1 CUDNN=1
	@$(MAKE) --no-print-directory gpu-test-programs GPU=1 CUDNN=0
	@sh tests/run.sh $(BUILD)/gpu-cudnn$(if $(DARKNET_SRC),-local) $(BUILD)/gpu$(if $(DARKNET_SRC),-local)

# make test T="t_fold test_weights": only the named tests
test: test-programs
	@sh tests/run.sh $(VB) $(T)

# The CI suite: the shipped build (-Ofast) and the AddressSanitizer + UBSan build, one summary.
# With nvcc present, the GPU build (cuDNN) is compiled too and its tests run: on a machine
# without a GPU that is -nogpu training, and the GPU comparison reports "skipped".
check:
	@# ONNX Runtime for t_onnx where npm is (the registry reachable); without it t_onnx says it skipped
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory onnxruntime || true; fi
	@$(MAKE) --no-print-directory test-programs
	@$(MAKE) --no-print-directory test-programs SANITIZE=1
ifeq ($(HAVE_NVCC),1)
	@$(MAKE) --no-print-directory gpu-test-programs GPU=1 CUDNN=1
endif
	@TTQ_TOPLEVEL=$(CURDIR)/darknet sh tests/run.sh $(BUILD)/cpu$(if $(DARKNET_SRC),-local) $(BUILD)/asan$(if $(DARKNET_SRC),-local) \
	  $(if $(filter 1,$(HAVE_NVCC)),$(BUILD)/gpu-cudnn$(if $(DARKNET_SRC),-local))

BENCH_BIN := $(VB)/tests/bench_step
$(BENCH_BIN): bench/bench_step.c bench/benchutil.h $(TREE)/libdarknet.a
	@mkdir -p $(VB)/tests
	@$(CC) -O2 $(TEST_CFLAGS) $(if $(filter 1,$(GPU)),-DGPU -I/usr/local/cuda/include) $< -o $@ \
	  $(TREE)/libdarknet.a $(LINK_LIBS) $(if $(filter 1,$(GPU)),$(CUDA_LIBS)) -lm -pthread

$(VB)/tools/blascore: bench/blascore.c
	@mkdir -p $(VB)/tools
	@$(CC) $< -o $@ $(LINK_LIBS)

bench: darknet $(BENCH_BIN) $(VB)/tools/blascore
	@BLASCORE=$(VB)/tools/blascore sh bench/run.sh $(BENCH_BIN)

# inference: the integer ternary path against Darknet's float path, OpenCV's DNN module and
# PyTorch (FP32 and its own int8), bench/infer.sh
$(VB)/tools/ortmap: bench/ortmap.c $(TREE)/libdarknet.a
	@mkdir -p $(@D)
	@$(CC) -O2 $(TEST_CFLAGS) $(if $(filter 1,$(OPENMP)),-fopenmp) $< -o $@ $(TREE)/libdarknet.a $(LINK_LIBS) \
	  $(if $(filter 1,$(GPU)),$(CUDA_LIBS)) -lm -pthread

$(VB)/tools/bench_infer: bench/bench_infer.c bench/benchutil.h $(TREE)/libdarknet.a
	@mkdir -p $(@D)
	@$(CC) -O2 $(TEST_CFLAGS) $(if $(filter 1,$(OPENMP)),-fopenmp) $< -o $@ $(TREE)/libdarknet.a $(LINK_LIBS) \
	  $(if $(filter 1,$(GPU)),$(CUDA_LIBS)) -lm -pthread

$(VB)/tools/infer_opencv: bench/infer_opencv.cpp tests/cfg_net_shape.hpp
	@mkdir -p $(@D)
	@$(CXX) -O2 -Wall -I/usr/include/opencv4 $< -o $@ -lopencv_dnn -lopencv_core

# XNNPACK's engines for bench-infer where Debian's libxnnpack-dev and libpthreadpool-dev are installed
HAVE_XNNPACK := $(wildcard /usr/include/xnnpack.h)
$(VB)/tools/infer_xnnpack: bench/infer_xnnpack.c $(TREE)/libdarknet.a
	@mkdir -p $(@D)
	@$(CC) -O2 $(TEST_CFLAGS) $(if $(filter 1,$(OPENMP)),-fopenmp) $< -o $@ $(TREE)/libdarknet.a $(LINK_LIBS) \
	  -lXNNPACK -lpthreadpool -lm -pthread

bench-infer: darknet $(VB)/tools/bench_infer $(VB)/tools/blascore $(VB)/tools/genimages $(VB)/tools/netout \
             $(if $(HAVE_OPENCV),$(VB)/tools/infer_opencv) $(if $(HAVE_XNNPACK),$(VB)/tools/infer_xnnpack)
	@BLASCORE=$(VB)/tools/blascore sh bench/infer.sh $(VB)

#:  make bench-onnx             after make demo: the ONNX export in ONNX Runtime against Darknet, every test image
.PHONY: bench-onnx
bench-onnx: darknet $(VB)/tools/netout $(VB)/tools/ortmap onnxruntime
	@sh bench/onnx.sh $(VB)

demo:
	@GPU=$(GPU) sh data/demo.sh $(DEMO_FP) $(DEMO_TTQ)

demo-det:
	@GPU=$(GPU) sh data/demo-det.sh $(DEMO_FP) $(DEMO_TTQ)

clean:
	rm -rf $(BUILD)/cpu $(BUILD)/asan $(BUILD)/gpu $(BUILD)/gpu-cudnn $(BUILD)/*-local darknet darknet.tmp

distclean: clean
	rm -rf $(BUILD)

# --- ONNX Runtime for the export's tests (tests/t_onnx.sh) --------------------------------------
#:  make onnxruntime            ONNX Runtime (CPU) for node from the npm registry, into build/npm
ORT_VERSION := 1.30.0
.PHONY: onnxruntime
onnxruntime: $(BUILD)/npm/node_modules/onnxruntime-node/package.json
$(BUILD)/npm/node_modules/onnxruntime-node/package.json:
	@command -v npm >/dev/null 2>&1 || { echo "error: make onnxruntime needs npm (Debian: nodejs npm)" >&2; exit 1; }
	@mkdir -p $(BUILD)/npm
	@# --ignore-scripts: the package carries the CPU library; its install script only fetches extras
	@npm install --prefix $(BUILD)/npm --ignore-scripts --no-audit --no-fund onnxruntime-node@$(ORT_VERSION) \
	  >$(BUILD)/npm/install.log 2>&1 || { tail -n 20 $(BUILD)/npm/install.log >&2; \
	  echo "error: npm install onnxruntime-node@$(ORT_VERSION) failed (log: $(BUILD)/npm/install.log)" >&2; exit 1; }
	@echo "ONNX Runtime $(ORT_VERSION) for node in $(BUILD)/npm/node_modules"

# --- 5. Fuzzing (tests/fuzz/README.md) ---------------------------------------------------------
#:  make fuzz [FUZZ_SECONDS=60 | FUZZ_RUNS=1000000] [FUZZ_TARGETS="cfg weights ..."]
#:                              libFuzzer harnesses (clang, ASan + UBSan), each from its seeds
#:  make fuzz-smoke             each harness for FUZZ_SMOKE_SECONDS (20); fails on any crash
# A copy of the patched tree, built with clang, the sanitizers and the fuzzer's coverage, without
# OpenMP and OpenBLAS (an exit caught in a worker thread could not return to the harness). The
# harnesses (tests/fuzz/fuzz_*.c) wrap exit, the allocator and fopen (tests/fuzz/fuzz.h).
FUZZ_CC ?= $(shell command -v clang-14 >/dev/null 2>&1 && echo clang-14 || echo clang)
FUZZ_HARNESSES := cfg weights data labels convert image forward state
FUZZ_TARGETS ?= $(FUZZ_HARNESSES)
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_VB   := $(BUILD)/fuzz
FUZZ_TREE := $(FUZZ_VB)/darknet
# all of UBSan, clang's pointer-overflow check included (patch 0528 removed upstream's NULL + 1)
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
             -fno-omit-frame-pointer
FUZZ_WRAP := -Wl,--wrap=exit,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=fopen,--wrap=fclose,--wrap=rand_normal
FUZZ_CFLAGS := -O1 -g $(FUZZ_SAN) -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
               -I$(FUZZ_TREE)/include -I$(FUZZ_TREE)/src -Itests/fuzz
# Debian's stb_image compiled into the harnesses, instrumented, where the build uses it (patch 0104)
FUZZ_STB_OBJ := $(if $(filter 1,$(SYSTEM_STB)),$(FUZZ_VB)/stb_impl.o)
FUZZ_CONVERT_FLAGS := $(if $(HAVE_STB),,-DTTQ_DARKNET_STB) $(if $(HAVE_ZLIB),,-DTTQ_NO_ZLIB)

.PHONY: fuzz fuzz-smoke fuzz-programs

$(FUZZ_TREE)/.copied: $(STAMP) $(TREE_SRC)
	@mkdir -p $(FUZZ_TREE)
	@tar -C $(TREE) --exclude=./obj --exclude='./*.a' --exclude='./*.so' --exclude=./darknet -cf - . \
	  | tar -C $(FUZZ_TREE) -xf -
	@touch $@

$(FUZZ_TREE)/libdarknet.a: $(FUZZ_TREE)/.copied $(FUZZ_VB)/.flags
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "error: make fuzz needs clang with libFuzzer" \
	  "(Debian: clang-14 libclang-rt-14-dev), or FUZZ_CC=..." >&2; exit 1; }
	@echo "building the fuzz library in $(FUZZ_TREE) ($(FUZZ_CC), ASan + UBSan, libFuzzer coverage)"
	@$(if $(filter $(FUZZ_VB)/.flags,$?),rm -rf $(FUZZ_TREE)/obj)
	@$(MAKE) --no-print-directory -C $(FUZZ_TREE) obj >/dev/null
	@$(MAKE) --no-print-directory -C $(FUZZ_TREE) libdarknet.a \
	  CC="$(FUZZ_CC) -fsanitize=fuzzer-no-link $(FUZZ_SAN)" OPTS="-O1 -g" GPU=0 CUDNN=0 OPENMP=0 OPENBLAS=0 \
	  SYSTEM_STB=$(SYSTEM_STB) EXTRA_OBJ="$(EXTRA_OBJ)" EXTRA_CFLAGS="$(ONNX_CFLAGS)" EXTRA_LDFLAGS="$(ONNX_LIBS)" >$(FUZZ_VB)/build.log 2>&1 || { \
	  tail -n 20 $(FUZZ_VB)/build.log >&2; echo "error: the fuzz library did not build (log: $(FUZZ_VB)/build.log)" >&2; exit 1; }

# the library is rebuilt when the flags change
$(FUZZ_VB)/.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(FUZZ_CC) $(FUZZ_SAN) $(FUZZ_STB_NOSAN) $(SYSTEM_STB) $(EXTRA_OBJ)' | cmp -s - $@ || echo '$(FUZZ_CC) $(FUZZ_SAN) $(FUZZ_STB_NOSAN) $(SYSTEM_STB) $(EXTRA_OBJ)' > $@
FORCE:

# stb_image 2.27 shifts by 32 in its JPEG bit reader (corpus/image/stb-jpeg-shift-32.jpg) and
# memcpy's 0 bytes to a NULL buffer for an empty PNG IDAT (corpus/image/stb-png-empty-idat-memcpy-null.png,
# which also adds 0 to that NULL pointer): undefined, harmless, not Darknet's; those checks are
# left out for stb_image alone
FUZZ_STB_NOSAN := shift,nonnull-attribute,pointer-overflow
$(FUZZ_VB)/stb_impl.o: tests/fuzz/stb_impl.c $(FUZZ_VB)/.flags
	@mkdir -p $(@D)
	@$(FUZZ_CC) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -fno-sanitize=$(FUZZ_STB_NOSAN) -O1 -g -c $< -o $@

$(FUZZ_VB)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h $(FUZZ_TREE)/libdarknet.a $(FUZZ_STB_OBJ)
	@$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_CFLAGS) $(FUZZ_WRAP) $< tests/fuzz/fuzz.c $(FUZZ_STB_OBJ) \
	  $(FUZZ_TREE)/libdarknet.a $(ONNX_LIBS) -lm -pthread -o $@

$(FUZZ_VB)/fuzz_convert: tests/fuzz/fuzz_convert.c data/convert.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h $(FUZZ_TREE)/libdarknet.a $(FUZZ_STB_OBJ)
	@$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_CFLAGS) $(FUZZ_CONVERT_FLAGS) $(FUZZ_WRAP) $< tests/fuzz/fuzz.c \
	  $(FUZZ_STB_OBJ) $(FUZZ_TREE)/libdarknet.a $(ONNX_LIBS) $(if $(HAVE_ZLIB),-lz) -lm -pthread -o $@

fuzz-programs: $(FUZZ_HARNESSES:%=$(FUZZ_VB)/fuzz_%)

fuzz: fuzz-programs
	@sh tests/fuzz/run.sh -keep-going $(FUZZ_VB) "$(FUZZ_SECONDS)" "$(FUZZ_RUNS)" $(FUZZ_TARGETS)

fuzz-smoke: fuzz-programs
	@sh tests/fuzz/run.sh $(FUZZ_VB) "$(FUZZ_SMOKE_SECONDS)" "" $(FUZZ_HARNESSES)
