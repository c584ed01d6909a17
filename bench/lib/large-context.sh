# A large build context for the scale benchmarks (sourced, not run): 20,000 small text files
# in 400 directories and 200 MB of incompressible assets (20 files of 10 MB), about 280 MB.
#
# make_large_context DIR [IMAGE]: fills DIR and writes DIR/Dockerfile (`FROM IMAGE`, default
# scratch, then `COPY . /app`). The content is random but fixed per run; generating it takes
# a few seconds.
make_large_context() {
  local dir=$1 image=${2:-scratch}
  mkdir -p "$dir/assets"
  python3 - "$dir" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(15)
words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9)))
         for _ in range(2000)]
for d in range(400):
    sub = os.path.join(root, 'src', f'pkg{d:03}')
    os.makedirs(sub, exist_ok=True)
    for f in range(50):
        n = rng.randint(1000, 4000)
        text = ' '.join(rng.choice(words) for _ in range(n // 6))[:n]
        with open(os.path.join(sub, f'mod{f:02}.txt'), 'w') as fh:
            fh.write(text + '\n')
PY
  for i in $(seq -w 1 20); do
    head -c 10M /dev/urandom > "$dir/assets/blob$i.bin"
  done
  printf 'FROM %s\nCOPY . /app\n' "$image" > "$dir/Dockerfile"
}

# touch_one_context_file DIR: the one-file change between rebuilds (a line appended to one
# small source file).
touch_one_context_file() {
  echo "changed $RANDOM$RANDOM" >> "$1/src/pkg123/mod07.txt"
}
