# Rondo: build with the dev dependencies, run with the runtime ones only.
#   docker build -t rondo .
#   docker run --rm -p 5353:5353/udp -p 5353:5353/tcp rondo      (serves zones/examples)
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script builds, and the sources are not copied yet.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/zones/examples ./zones/examples
USER node
EXPOSE 5353/udp 5353/tcp
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["serve", "--zones", "zones/examples", "--listen", "0.0.0.0:5353"]
