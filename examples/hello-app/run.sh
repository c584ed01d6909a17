#!/bin/sh
echo "$GREETING"
echo "running as uid $(id -u) in $(pwd)"
cat report.txt
