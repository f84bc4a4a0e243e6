//! The bar across the top of every page: the product name (a link home), the theme toggle and, once
//! signed in, who is signed in with a link to the people and keys (for those who may see them) and a
//! button to sign out, or the button that forgets a read key.

use leptos::prelude::*;

use crate::components::theme_toggle::ThemeToggle;
use crate::key::Auth;

/// The app header.
#[component]
pub fn AppHeader() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <header class="ev-header">
            <a class="ev-header__brand" href="/" data-testid="brand">
                <svg class="ev-header__logo" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z"/>
                    <path class="ev-header__tick" d="m8.5 12 2.5 2.5 4.5-5"/>
                </svg>
                <span class="ev-header__name">"Evident"</span>
            </a>
            <span class="ev-header__tagline">"Audit log"</span>
            <ThemeToggle/>
            {move || auth.person().map(|person| view! {
                <span class="ev-header__person" data-testid="signed-in-as">
                    {person.name} " · " {person.role}
                </span>
                {person.reads_access.then(|| view! {
                    <a class="ev-header__link" href="/access" rel="external" data-testid="access-link">"People & keys"</a>
                })}
            })}
            {move || auth.signed_in().then(|| view! {
                <button
                    type="button"
                    class="ev-button ev-button--ghost ev-header__signout"
                    data-testid="sign-out"
                    on:click=move |_| auth.sign_out()
                >
                    {if auth.person().is_some() { "Sign out" } else { "Forget key" }}
                </button>
            })}
        </header>
    }
}
