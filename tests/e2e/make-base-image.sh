#!/bin/bash
# The end-to-end tests' agent base image is the one users get: see
# data/make-base-image.sh (prints the image reference on stdout).
exec "$(dirname "$0")/../../data/make-base-image.sh" "$@"
