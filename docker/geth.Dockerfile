# The pinned geth image, built locally by `medrec image build` where no registry can be
# reached. geth v1.13.15 is the last release that seals Clique blocks.
# Context (made by the tool in memory): the static `geth` binary and an empty `tmp/`.
FROM scratch
COPY geth /usr/local/bin/geth
# geth writes temporary files (e.g. in --dev mode) under /tmp; scratch has none.
COPY tmp/ /tmp/
ENTRYPOINT ["/usr/local/bin/geth"]
