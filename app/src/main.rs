//! Entry point of the dashboard's wasm binary: mounts the app on `<body>`; everything else is in the library.

fn main() {
    leptos::mount::mount_to_body(evident_app::App);
}
