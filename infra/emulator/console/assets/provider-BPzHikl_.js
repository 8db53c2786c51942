import{t}from"./index-CiCBYIPK.js";async function e(){const r=await t("/v1/providers");return r.length?r[r.length-1].id:""}export{e as m};
