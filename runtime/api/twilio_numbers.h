/* api/twilio_numbers: buying Twilio numbers through hark (issue 11 §4). */
#ifndef HK_API_TWILIO_NUMBERS_H
#define HK_API_TWILIO_NUMBERS_H

#include "api/api.h"

/* GET /api/v1/twilio/available-numbers?country=US&areaCode=&contains=&limit= */
void hk_api_twilio_available(hk_api_req *r);
/* POST /api/v1/twilio/numbers {phoneNumber, assistantId?, name?} */
void hk_api_twilio_buy(hk_api_req *r);

#endif
