# Sourced by the profile scripts (profile-hit.sh, profile-misses.sh), from the repository
# root: builds memo-bench in release mode and sets `binary` to a copy of it without the
# debug information the Swift toolchain emits, which valgrind cannot read. The copy, and
# the output files of the runs named "$binary.out.*", are removed on exit.
swift build -c release --product memo-bench >/dev/null
binary=$(mktemp /tmp/memo-bench-profile.XXXXXX)
trap 'rm -f "$binary" "$binary".out.*' EXIT
cp "$(swift build -c release --show-bin-path)/memo-bench" "$binary"
chmod 755 "$binary"  # mktemp made it 0600, and cp keeps the mode of a file it overwrites
strip --strip-debug "$binary"
