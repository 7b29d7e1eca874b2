// Portable run-time library loading for the BLAS search: dlopen on Linux and macOS, LoadLibrary on
// Windows. Nothing here links against a BLAS; the addon builds and loads without one.
#pragma once

#include <string>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

using LibHandle = HMODULE;

inline LibHandle lib_open(const char* name, bool /*global*/) { return LoadLibraryA(name); }
inline void* lib_sym(LibHandle h, const char* name) { return reinterpret_cast<void*>(GetProcAddress(h, name)); }
inline void lib_close(LibHandle h) { FreeLibrary(h); }
inline std::string lib_error() { return "LoadLibrary error " + std::to_string(GetLastError()); }
/** The file a loaded library came from. */
inline std::string lib_path(LibHandle h, void* /*symbol*/) {
  char buf[MAX_PATH];
  DWORD n = GetModuleFileNameA(h, buf, MAX_PATH);
  return std::string(buf, n);
}

#else
#include <dlfcn.h>

// Bind to the oldest dl* symbol versions, so a binary built on a new glibc (where they moved into
// libc as GLIBC_2.34) still loads on the older glibc releases Node supports.
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlclose,dlclose@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
#elif defined(__GLIBC__) && defined(__aarch64__)
__asm__(".symver dlopen,dlopen@GLIBC_2.17");
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
__asm__(".symver dlclose,dlclose@GLIBC_2.17");
__asm__(".symver dlerror,dlerror@GLIBC_2.17");
__asm__(".symver dladdr,dladdr@GLIBC_2.17");
#endif

using LibHandle = void*;

// MKL's single dynamic library loads its own layers by name and needs its symbols global.
inline LibHandle lib_open(const char* name, bool global) { return dlopen(name, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL)); }
inline void* lib_sym(LibHandle h, const char* name) { return dlsym(h, name); }
inline void lib_close(LibHandle h) { dlclose(h); }
inline std::string lib_error() {
  const char* e = dlerror();
  return e ? e : "unknown error";
}
/** The file a loaded library came from (resolves sonames and symlinks such as Debian's alternatives). */
inline std::string lib_path(LibHandle, void* symbol) {
  Dl_info info;
  if (symbol && dladdr(symbol, &info) && info.dli_fname) return info.dli_fname;
  return "";
}
#endif
