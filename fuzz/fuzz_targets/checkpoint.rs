#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        // libfuzzer-sys aborts in its panic hook, even on panics that ordo
        // catches (it catches arrow-ipc's panics on malformed schemas). The
        // default hook lets caught panics pass; an uncaught one still
        // aborts the run.
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| ordo_fuzz::checkpoint(data)
);
