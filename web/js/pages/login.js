// web/js/pages/login.js: the login form. POST /auth/login sets the HttpOnly
// session cookie; a wrong email or password is shown inline, next to the form.
import { h, field } from '../dom.js';
import { post, get } from '../api.js';
import { loggedIn } from '../app.js';

export function render(view) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p.error.form-error', { id: 'login-error', role: 'alert' });
  const submit = h('button', { type: 'submit' }, 'Log in');
  const form = h('form.card.login', { 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, 'Log in to hark'),
    field('Email', email), field('Password', password), error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (!email.value || !password.value) { error.textContent = 'Enter your email and password.'; return; }
    submit.disabled = true;
    try {
      await post('/auth/login', { email: email.value, password: password.value }, { noExpire: true });
      loggedIn(await get('/auth/me', { noExpire: true }));
    } catch (err) {
      error.textContent = err.status === 401 ? 'Wrong email or password.' : `Could not log in: ${err.message}`;
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  view.append(h('div.center', null, form));
  email.focus();
}
