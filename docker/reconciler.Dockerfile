# The vote reconciler (src/reconciler), built locally by `medrec image build` and `network up`:
# no registry is needed. Context (streamed by the tool from the host), laid out at the final
# paths: runtime/ holds the running Node binary and the shared libraries it loads (from ldd),
# app/ the compiled modules the loop imports and the packages those need. Two layers, so a
# change to the tool adds a new app layer (~16 MB) and reuses the runtime one (~130 MB).
FROM scratch
COPY runtime/ /
COPY app/ /
ENV NODE_ENV=production
WORKDIR /app
# Healthy while the loop writes its heartbeat (status.json) each cycle.
HEALTHCHECK --interval=15s --timeout=10s --start-period=20s --retries=2 \
  CMD ["/usr/local/bin/node", "/app/dist/reconciler/reconciler-health.js"]
ENTRYPOINT ["/usr/local/bin/node", "/app/dist/reconciler/reconciler-main.js"]
CMD ["run"]
