/* api/auth_login: the /auth routes: POST /auth/login (email + password ->
 * session JWT) and GET /auth/me (who the credential says you are). */
#ifndef HK_AUTH_LOGIN_H
#define HK_AUTH_LOGIN_H

#include "api/api.h"

void hk_api_auth_login(hk_api_req *r);
void hk_api_auth_me(hk_api_req *r);

#endif
