# The vote reconciler (src/reconciler), built locally by `medrec image build` and `network up`:
# no registry is needed. Context (streamed by the tool from the host): rootfs/ holds the
# running Node binary and the shared libraries it loads (from ldd), the compiled modules the
# loop imports and the packages those need, laid out at their final paths.
FROM scratch
COPY rootfs/ /
ENV NODE_ENV=production
WORKDIR /app
# Healthy while the loop writes its heartbeat (status.json) each cycle.
HEALTHCHECK --interval=15s --timeout=10s --start-period=20s --retries=2 \
  CMD ["/usr/local/bin/node", "/app/dist/reconciler/reconciler-health.js"]
ENTRYPOINT ["/usr/local/bin/node", "/app/dist/reconciler/reconciler-main.js"]
CMD ["run"]
