# netlab in a container: the one-file bundle on Deno 2.9.6, `netlab` as the entrypoint, so that
#   docker run --rm IMAGE bench -n 1000 -c 10 http://host:8000/
# runs `netlab bench ...`. `netlab bench --emit k8s-job --image IMAGE` writes a Job that runs it.
#
#   docker build -t netlab:0.1.0 .

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY . .
# npm packages come from deno.lock; the bundle carries them, www/ and the worker entry
RUN deno install --frozen && deno task bundle

FROM denoland/deno:2.9.6
COPY --from=build /src/dist/netlab.js /app/netlab.js
# The same permissions and flags as the bundle's own #! line (bench's V8 flags keep its memory flat)
ENV DENO_NO_UPDATE_CHECK=1
USER deno
ENTRYPOINT ["deno", "run", "-A", "--unstable-net", "--v8-flags=--max-semi-space-size=4,--heap-growing-percent=50", "/app/netlab.js"]
CMD ["--help"]
