//! A postal address in mainland China, for mailing printed photos. Personal data: the store
//! keeps it sealed, anyone but its owner sees it masked, and it is deleted once the photos
//! are delivered.

use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::id_number::mask_name;

/// Where printed photos go and whom the courier calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub recipient: String,
    /// A mainland mobile number: couriers text and call it.
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    /// Street, building, room: the part a courier needs and nobody else does.
    pub detail: String,
}

impl PostalAddress {
    /// Trims and checks every field; the phone must be an 11-digit mainland mobile number.
    pub fn parse(raw: PostalAddress) -> Result<Self, ValidationError> {
        let phone = raw.phone.trim().replace([' ', '-'], "");
        if !(phone.len() == 11
            && phone.starts_with('1')
            && phone.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ValidationError::new(
                "phone",
                "must be an 11-digit mainland mobile number",
            ));
        }
        Ok(Self {
            recipient: crate::text::required("recipient", &raw.recipient, 20)?,
            phone,
            province: crate::text::required("province", &raw.province, 20)?,
            city: crate::text::required("city", &raw.city, 20)?,
            district: crate::text::required("district", &raw.district, 20)?,
            detail: crate::text::required("detail", &raw.detail, 120)?,
        })
    }

    /// What anyone but the owner sees: the region in full (it says where a parcel goes, not
    /// to whom), the recipient's surname, the phone's first three and last four digits, and no
    /// street.
    pub fn masked(&self) -> PostalAddress {
        PostalAddress {
            recipient: mask_name(&self.recipient),
            phone: format!("{}****{}", &self.phone[..3], &self.phone[7..]),
            province: self.province.clone(),
            city: self.city.clone(),
            district: self.district.clone(),
            detail: "****".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(phone: &str) -> PostalAddress {
        PostalAddress {
            recipient: " 张三丰 ".into(),
            phone: phone.into(),
            province: "广东省".into(),
            city: "广州市".into(),
            district: "天河区".into(),
            detail: "五山路381号华南理工大学32栋101".into(),
        }
    }

    #[test]
    fn an_address_is_trimmed_and_its_phone_normalised_or_refused() {
        let a = PostalAddress::parse(address("138-0013 8000")).unwrap();
        assert_eq!(
            (a.recipient.as_str(), a.phone.as_str()),
            ("张三丰", "13800138000")
        );
        for bad in ["1380013800", "23800138000", "1380013800a", ""] {
            let err = PostalAddress::parse(address(bad)).unwrap_err();
            assert_eq!(err.field, "phone", "{bad}");
        }
        let mut empty = address("13800138000");
        empty.detail = "  ".into();
        assert_eq!(PostalAddress::parse(empty).unwrap_err().field, "detail");
    }

    #[test]
    fn the_masked_address_keeps_the_region_and_hides_who_and_where_exactly() {
        let m = PostalAddress::parse(address("13800138000"))
            .unwrap()
            .masked();
        assert_eq!(m.recipient, "张**");
        assert_eq!(m.phone, "138****8000");
        assert_eq!(
            (m.province.as_str(), m.district.as_str()),
            ("广东省", "天河区")
        );
        assert_eq!(m.detail, "****");
    }
}
