import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build is committed (infra/emulator/console, embedded in the emulator) and
// checked against the sources in CI, so it must be byte-for-byte reproducible:
// content-hashed names only, no timestamps, no source maps with absolute paths.
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: process.env.CONSOLE_OUT_DIR || '../infra/emulator/console',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
        manualChunks: (id) => {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender') || id.includes('node_modules/vue-echarts')) return 'charts'
          if (id.includes('node_modules/')) return 'vendor'
        },
      },
    },
  },
  server: {
    // `npm run dev` against a running `make run`
    proxy: { '/v1': 'http://localhost:8080', '/_local': 'http://localhost:8080' },
  },
})
